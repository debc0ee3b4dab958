"""Records about the people stylist serves: users and their photos, the looks made for them, what they chose,
and forgetting them. Torch-free, so that the web process reads them without loading a model."""
