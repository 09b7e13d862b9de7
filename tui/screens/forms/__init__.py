"""One form screen per service item, built on `base.FormScreen` (fields as data)."""
