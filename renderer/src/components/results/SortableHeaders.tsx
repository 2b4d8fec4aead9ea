/** Which way a sortable table runs (its aria-sort value). */
export type Direction = 'ascending' | 'descending';

export interface SortColumn<K extends string> {
  key: K;
  label: string;
  numeric?: boolean;
}

/** A sortable table's header cells: a button per column, aria-sort on the sorted one. */
export function SortableHeaders<K extends string>({ columns, sort, direction, onSort }: { columns: readonly SortColumn<K>[]; sort: K; direction: Direction; onSort(key: K): void }) {
  return (
    <>
      {columns.map((c) => (
        <th key={c.key} scope="col" aria-sort={sort === c.key ? direction : undefined} className={c.numeric ? 'num' : undefined}>
          <button type="button" className="sort-button" onClick={() => onSort(c.key)}>
            {c.label}
            <span aria-hidden className="sort-mark">
              {sort === c.key ? (direction === 'ascending' ? ' ▲' : ' ▼') : ''}
            </span>
          </button>
        </th>
      ))}
    </>
  );
}
