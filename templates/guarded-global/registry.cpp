// memfix(guarded-global): the live {{cls}} the SWIG wrappers reach, and the mutex
// that guards it. A {{cls}} registers itself here when it is constructed and
// unregisters when it is destroyed, so however it is made (memory_disk_constructor,
// a disk_io_constructor lambda, directly) the wrappers reach the live one and no
// dead one. Static members of a class template: one object for the whole program,
// defined in this header without C++17's inline variables.
{{key}} {{cls}};
template <typename Unused = void>
struct {{registry}}
{
    static std::mutex mutex;
    static {{cls}}* live;
};
template <typename Unused> std::mutex {{registry}}<Unused>::mutex;
template <typename Unused> {{cls}}* {{registry}}<Unused>::live = nullptr;

