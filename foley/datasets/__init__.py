"""Datasets and caches: SynthSync (generated), AVSync15 (prepared from a download), clip manifests, cached frame features and unit tokens."""
