"""foley: video-to-audio Foley generation."""
__version__ = "0.1.0"
