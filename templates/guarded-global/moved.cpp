// memfix(guarded-global): {{global}} and {{mutex}} live in {{header}}
