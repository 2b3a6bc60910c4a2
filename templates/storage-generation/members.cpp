// memfix(storage-generation): the generation of each storage slot, by slot index;
// bumped when the slot's torrent is removed, guarded by {{mutex}}
std::vector<std::uint64_t> {{generations}};
