"""The refresh worker: arq jobs that keep tracked profiles fresh."""
