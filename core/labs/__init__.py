"""The labs: the lab base class and the Dinosaur, Text and Music labs."""
