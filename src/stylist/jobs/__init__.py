"""Long work (training, looks, spins) runs as jobs: a queue the web app writes and workers that keep models loaded."""
