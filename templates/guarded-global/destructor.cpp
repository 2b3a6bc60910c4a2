// memfix(guarded-global): unregister under the mutex, but only if the wrappers
// still reach this one: a newer instance stays reachable.
~{{cls}}()
{
    std::lock_guard<std::mutex> lock({{registry}}<>::mutex);
    if ({{registry}}<>::live == this) {{registry}}<>::live = nullptr;
}
