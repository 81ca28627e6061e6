"""The models and their trainers: the trainer interface, numpy RNN and cells, Keras models, schedules, sampling and the
time-lapse."""
