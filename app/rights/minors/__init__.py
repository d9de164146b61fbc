"""A minor using the service without guardian consent: reported, suspended, settled (MIN-7/8)."""
