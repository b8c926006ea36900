import { complex, ref, str, type AttributeDef } from './attributes.ts';

/** The enterprise User extension (RFC 7643 §4.3). */
export const ENTERPRISE_ATTRIBUTES: AttributeDef[] = [
  str('employeeNumber', 'A string identifier, typically numeric or alphanumeric, assigned to the person.'),
  str('costCenter', 'The name of a cost center.'),
  str('organization', 'The name of an organization.'),
  str('division', 'The name of a division.'),
  str('department', 'The name of a department.'),
  complex('manager', "The user's manager.", [
    str('value', "The id of the manager's User resource.", { caseExact: true }),
    ref('$ref', ['User'], "The URI of the manager's User resource."),
    str('displayName', "The manager's name, as sent by the identity provider."),
  ]),
];
