// memfix(guarded-global): {{global}} and {{mutex}} now live in {{header}}
