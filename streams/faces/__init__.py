"""Face recognition: model files, detector, aligner, embedder, quality gate, gallery."""
