// The suites load a real server and a real trainer on a small machine: one at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
