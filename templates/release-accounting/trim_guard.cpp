// memfix(release-accounting): an entry whose piece is gone only leaves the LRU, so
// this loop always makes progress and cannot spin on it
if ({{data}}.find({{victim}}) == {{data}}.end())
{
    {{lru}}.erase({{victim}});
    continue;
}
