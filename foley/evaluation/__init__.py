"""Evaluation: onset accuracy and AP, FAD and its embedders, dataset scoring and reports, CLAP, the demo sound classifier and the token LM's unit evaluation."""
