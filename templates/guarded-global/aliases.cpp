// memfix(guarded-global): {{registry}} in {{header}} holds both; these only name them
