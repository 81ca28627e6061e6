"""Text corpora: reading uploads, the vocabulary and splits, and how real a sample's words are."""
