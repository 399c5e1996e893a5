"""Instagram Graph API (Business Discovery) client."""

from app.platforms.instagram.client import InstagramClient

__all__ = ["InstagramClient"]
