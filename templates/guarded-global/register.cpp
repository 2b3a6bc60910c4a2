// memfix(guarded-global): reachable through the SWIG wrappers from now on
std::lock_guard<std::mutex> {{lock}}({{registry}}<>::mutex);
{{registry}}<>::live = this;
