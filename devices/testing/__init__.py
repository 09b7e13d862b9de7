"""Test support shared by every suite that needs a card: the real PC/SC stack harness."""
