// A datasource is a disk, found by its filesystem label, holding user data at a known path.
export interface DiskDatasource {
  name: string;
  labels: string[];
  userDataPath: string;
}
