"""The voice prompts the dialplan plays (``hotline/<name>``): their texts and how they are rendered.

``catalog`` reads the texts (``texts.toml``: every prompt in Chinese and English); ``render`` turns them
into what Asterisk plays, with espeak-ng and sox (``cti prompts build``).
"""
