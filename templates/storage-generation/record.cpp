// memfix(storage-generation): the slot's generation when this job is submitted,
// read below under the lock that does the job
std::uint64_t {{generation}} = 0;
