// memfix(guarded-global): clear {{global}} under its mutex, but only
// if it still points here: a newer instance stays reachable.
~{{cls}}()
{
    std::lock_guard<std::mutex> lock({{mutex}});
    if ({{global}} == this) {{global}} = nullptr;
}
