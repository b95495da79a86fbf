"""Device-facing endpoints: authentication, validation, normalisation and the Kafka producer."""
