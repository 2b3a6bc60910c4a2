// memfix(guarded-global): the pointer the SWIG wrappers use to reach the live
// {{cls}}, and the mutex that guards it. Defined here, before the class,
// so that its destructor can unregister it; hold the mutex to use the pointer.
{{key}} {{cls}};
inline std::mutex {{mutex}};
inline {{cls}}* {{global}} = nullptr;

