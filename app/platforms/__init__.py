"""Platform clients: Instagram Graph API (Business Discovery) and TikTok Research API.

Knows nothing about the database or GraphQL: it turns wire formats into `Profile` and `Post`
values and upstream failures into `PlatformError`s. Both clients implement one interface
(`interface.PlatformClient`); what else differs between platforms is a `registry.PlatformSpec`.
"""
