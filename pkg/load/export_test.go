package load

// SetBatchBytes sets how much of a stream is parsed at once, for tests that
// cut streams into many batches; it returns a function restoring the value.
func SetBatchBytes(n int) (restore func()) {
	old := batchBytes
	batchBytes = n
	return func() { batchBytes = old }
}
