"""The platform simulator: Instagram and TikTok wire formats over HTTP, deterministic data."""
