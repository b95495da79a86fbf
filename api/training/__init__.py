"""Safety training (安全培训): courses a project requires, and how a worker's study of one
counts (pure rules; the store is api/stores/training.py)."""
