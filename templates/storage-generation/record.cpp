// memfix(storage-generation): the slot's generation when this job is submitted
std::uint64_t const {{generation}} = {{current}}({{storage}});
