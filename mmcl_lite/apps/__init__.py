"""Apps on top of the library: the demo, the train command and the benchmarks."""
