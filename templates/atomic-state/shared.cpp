// memfix(atomic-state): one object program-wide, and atomic. The setter Go calls
// writes it while new storages read it on other threads, and more than one
// translation unit includes this header: a static member of a class template
// may be defined here (C++14 has no inline variables).
template <typename Unused = void>
struct {{name}}{{suffix}}
{
    static std::atomic<{{type}}> {{member}};
};
// memfix(atomic-state): the old name keeps working for code outside this tree: a
// reference, in each translation unit, to that one object
static std::atomic<{{type}}>& {{name}} = {{name}}{{suffix}}<>::{{member}};
template <typename Unused>
std::atomic<{{type}}> {{name}}{{suffix}}<Unused>::{{member}}{{init}};
