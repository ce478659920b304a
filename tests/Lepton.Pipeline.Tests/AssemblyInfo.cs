// Each test trains with the real trainer (two cores): one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
