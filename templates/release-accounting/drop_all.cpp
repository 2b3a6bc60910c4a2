
// memfix(release-accounting): drop every piece together with its accounting (the
// LRU entries and the count of held pieces that {{trim}}() works from), so that
// the next new piece does not trim for pieces that are already gone
void {{drop}}()
{
    {{data}}.clear();
    {{lru}}.clear();
    {{counter}} = 0;
}
