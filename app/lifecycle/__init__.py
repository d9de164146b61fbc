"""A school's and the service's end of life: incidents, offboarding, shutdown (#17)."""
