/** Facts are flat: nested sources are flattened with dots (`os.family`), arrays of scalars joined with ','. */
export type FactValue = string | number | boolean

export type Facts = Readonly<Record<string, FactValue>>
