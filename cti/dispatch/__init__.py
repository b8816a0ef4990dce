"""Field service: outlets, engineers, regions, appointments and completion reports."""
