"""Music: MIDI in and out, the values codec, corpora, motifs, the scorecard and audio."""
