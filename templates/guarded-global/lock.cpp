std::lock_guard<std::mutex> {{lock}}({{mutex}});
