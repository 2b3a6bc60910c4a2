static_cast<{{typedef}}::underlying_type>({{value}})
