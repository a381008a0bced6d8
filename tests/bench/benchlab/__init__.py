"""The benchmark's pieces (tests/bench/run): the delay line's control,
timing statistics, the manual way, footprint; the world is tests/vpc's."""
