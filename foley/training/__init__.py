"""Training loops: the unit tokenizer, the demo backbone, the video-to-token LM and the visual adapter."""
