"""The model components: frame encoder and connector, token LM, HuBERT units (features, k-means, tokenizer and its import), the Auffusion backbone with its visual adapter, mel and vocoder."""
