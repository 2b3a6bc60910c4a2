{
    // memfix(guarded-global): nothing to do: a {{cls}} unregisters itself when it is
    // destroyed, and clearing here could cut the wrappers off from a live one
}
