"""One module per business. Each public service is `fn(ctx: ServiceContext, ...) -> BusinessResult`
and runs as exactly one IMMEDIATE transaction (`offline.business_builder.begin_business`)."""
