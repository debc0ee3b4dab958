"""Identity: personalisation. DreamBooth (LoRA on SDXL, the whole UNet on SD 1.x) on a person's photos, and the
trained weights a look loads. The person and their photos are people's records (stylist.people)."""
