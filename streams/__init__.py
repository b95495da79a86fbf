"""The Faust app: the shared event schemas, topics and the agents that process them."""
