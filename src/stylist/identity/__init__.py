"""Identity: a person's photos (intake and user store) and the models personalised on them."""
