{
    // memfix(guarded-global): publish under the mutex the wrappers hold
    std::lock_guard<std::mutex> {{lock}}({{mutex}});
    {{target}} = {{value}};
}
